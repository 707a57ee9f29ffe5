-- Evidence names end in the extension of the type decided from the bytes: a file
-- uploaded as "Notulen.html" holding a PDF is named "Notulen.html.pdf" from now on.
-- Names already stored are brought in line the same way (the original name stays
-- readable, the last extension is the true one).
UPDATE evidence SET label = label || '.pdf'
 WHERE kind = 'file' AND media_type = 'application/pdf' AND lower(label) NOT LIKE '%.pdf';
UPDATE evidence SET label = label || '.jpg'
 WHERE kind = 'file' AND media_type = 'image/jpeg'
   AND lower(label) NOT LIKE '%.jpg' AND lower(label) NOT LIKE '%.jpeg';
UPDATE evidence SET label = label || '.png'
 WHERE kind = 'file' AND media_type = 'image/png' AND lower(label) NOT LIKE '%.png';
UPDATE evidence SET label = label || '.docx'
 WHERE kind = 'file' AND media_type LIKE '%wordprocessingml.document' AND lower(label) NOT LIKE '%.docx';
UPDATE evidence SET label = label || '.xlsx'
 WHERE kind = 'file' AND media_type LIKE '%spreadsheetml.sheet' AND lower(label) NOT LIKE '%.xlsx';
UPDATE evidence SET label = label || '.pptx'
 WHERE kind = 'file' AND media_type LIKE '%presentationml.presentation' AND lower(label) NOT LIKE '%.pptx';
